"""Monthly partitions from 2023-01, keyed 'YYYY-MM' like `_period` everywhere else."""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

monthly_partitions = MonthlyPartitionsDefinition(start_date="2023-01", fmt="%Y-%m", end_offset=0)
# A backfill of many months is one run (one dbt invocation), not one per month.
single_run = BackfillPolicy.single_run()
