-- Each indicator's value at the end of each year: the value of the year's last period that has
-- one (December, or the latest month received). Feeds the level targets and the five-year totals.
with

indicator_values as (
    select
        indicator_id,
        {{ period_year('period') }} as value_year,
        period,
        value,
        row_number() over (
            partition by indicator_id, {{ period_year('period') }}
            order by period desc
        ) as recency
    from {{ ref('int_indicator_values') }}
),

final as (
    select
        indicator_id,
        value_year,
        period as year_end_period,
        value as year_end_value
    from indicator_values
    where recency = 1
)

select * from final
