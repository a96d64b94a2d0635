-- The periods spine (2023-01 .. the latest period with any accepted file).
with

periods as (
    select * from {{ ref('int_periods') }}
),

final as (
    select
        cast(period as varchar) as period,
        cast(period_year as integer) as period_year,
        cast(period_month as integer) as period_month,
        cast(months_since_plan_start as integer) as months_since_plan_start,
        cast(is_quarter_end as boolean) as is_quarter_end,
        cast(period_start as date) as period_start,
        cast(100.0 * {{ time_progress('period_month') }} as {{ type_double() }}) as time_progress_pct,
        cast(100.0 * {{ plan_time_progress('months_since_plan_start') }} as {{ type_double() }})
            as time_progress_2027_pct
    from periods
)

select * from final
