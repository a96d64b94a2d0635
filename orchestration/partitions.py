"""Monthly partitions from 2023-01, keyed 'YYYY-MM' like `_period` everywhere else."""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

from ingest.clock import DEFAULT_TIMEZONE

# Months begin and the monthly schedule fires in the deployment's zone, not the server's.
monthly_partitions = MonthlyPartitionsDefinition(start_date="2023-01", fmt="%Y-%m", end_offset=0,
                                                 timezone=DEFAULT_TIMEZONE)
# A backfill of many months is one run (one dbt invocation), not one per month.
single_run = BackfillPolicy.single_run()

# The run tags naming a run's months: a range (a backfill, the CLI's runs) or one partition.
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
