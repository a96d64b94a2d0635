{{ config(**period_mart_config()) }}
-- The read set of each period as it stood when the marts were built: built in the same dbt run as
-- the period marts (tag partitioned), so it names exactly the vintages the marts read. Publication
-- records it as publication_log.input_vintages and publishes only while it is still current.
with

read_set as (
    select * from {{ ref('int_read_set') }}
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

final as (
    select
        cast(period as varchar) as period,
        cast(feed_id as varchar) as feed_id,
        cast(scope as varchar) as scope,
        cast(input_period as varchar) as input_period,
        cast(file_sha256 as varchar) as file_sha256,
        cast(vintage as integer) as vintage,
        cast({{ as_of_date() }} as date) as as_of_date
    from read_set
)

select * from final
