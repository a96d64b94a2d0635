-- Which indicators each year's indicator table holds: every registry indicator in every year of
-- the spine; a task a target list adds (int_indicators.is_listed_task) in the years whose list
-- names it. Read by the targets (and so the indicator table) and by completeness (who owes
-- dept_task_progress in a year).
with

indicators as (
    select * from {{ ref('int_indicators') }}
),

years as (
    select distinct period_year as indicator_year from {{ ref('int_periods') }}
),

listed as (
    select distinct
        target_year,
        indicator_id
    from {{ ref('stg_annual_targets__targets') }}
),

final as (
    select
        years.indicator_year,
        indicators.indicator_id
    from years
    cross join indicators
    where not indicators.is_listed_task
    union all
    select
        years.indicator_year,
        indicators.indicator_id
    from listed
    inner join years on listed.target_year = years.indicator_year
    inner join indicators on listed.indicator_id = indicators.indicator_id and indicators.is_listed_task
)

select * from final
