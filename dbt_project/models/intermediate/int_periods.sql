-- The periods spine: every month from 2023-01 (the plan's first month) to the latest period
-- with any accepted file.
with

digits as (
    select 0 as d
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

month_numbers as (
    select hundreds.d * 100 + tens.d * 10 + ones.d as n
    from digits as hundreds
    cross join digits as tens
    cross join digits as ones
),

latest as (
    select max(period) as latest_period from {{ source('raw', 'current_vintages') }}
),

spine as (
    select
        2023 + cast(floor(n / 12.0) as integer) as period_year,
        1 + n % 12 as period_month,
        n + 1 as months_since_plan_start
    from month_numbers
),

final as (
    select
        {{ make_period('spine.period_year', 'spine.period_month') }} as period,
        spine.period_year,
        spine.period_month,
        spine.months_since_plan_start,
        spine.period_month in (3, 6, 9, 12) as is_quarter_end,
        cast({{ make_period('spine.period_year', 'spine.period_month') }} || '-01' as date) as period_start
    from spine
    cross join latest
    where {{ make_period('spine.period_year', 'spine.period_month') }} <= latest.latest_period
)

select * from final
