-- The lights (亮灯) of every (period, indicator): the year's light against the annual target and
-- time progress (a sum some departments did not report: 红, 部分单位未报送：…), and the five-year
-- view against the 2027 goal and plan time progress, with the reason it is absent for rates,
-- "each year" goals and the year's tasks (INDICATORS.md "Five-year view").
-- All light rules live in macros/lights.sql.
with

progress as (
    select * from {{ ref('int_indicator_progress') }}
),

final as (
    select
        period,
        indicator_id,
        kind,
        goal_type,
        value,
        value_source_period,
        annual_target,
        target_is_derived,
        case when kind <> 'rate' and annual_target <> 0 then 100.0 * value / annual_target end as completion_pct,
        100.0 * {{ time_progress('period_month') }} as time_progress_pct,
        {{ traffic_light('kind', 'value', 'annual_target', 'period_month', 'is_due', 'unreported_departments') }}
            as light,
        {{ light_reason(
            'kind', 'value', 'annual_target', 'period_month', 'is_due', 'carried_from', 'unreported_departments'
        ) }} as light_reason,
        unreported_departments,
        target_2027,
        value_since_2023,
        case when target_2027 <> 0 then 100.0 * value_since_2023 / target_2027 end as completion_2027_pct,
        100.0 * {{ plan_time_progress('months_since_plan_start') }} as time_progress_2027_pct,
        case
            when target_2027 is not null then
                {{ traffic_light(
                    'kind', 'value_since_2023', 'target_2027', 'months_since_plan_start', 'is_due', horizon_months=60
                ) }}
        end as light_2027,
        case
            when target_2027 is not null
                then
                    {{ light_reason(
                        'kind', 'value_since_2023', 'target_2027', 'months_since_plan_start', 'is_due',
                        horizon_months=60
                    ) }}
            when goal_type = 'rate' then '比率指标，无五年累计目标'
            when goal_type = 'each_year' then '每年目标，无五年累计目标'
            else '年度任务，无五年目标'
        end as light_2027_reason,
        -- linear in months: the pace so far (per month since 2022-12) over the plan's 60 months
        case when target_2027 is not null then value_since_2023 * 60 / months_since_plan_start end as projected_2027
    from progress
)

select * from final
