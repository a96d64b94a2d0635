-- The lights (亮灯) of every (period, indicator): the year's light against the annual target and
-- time progress, and the five-year view against the 2027 goal and plan time progress.
-- All rules live in macros/lights.sql.
with

progress as (
    select * from {{ ref('int_indicator_progress') }}
),

final as (
    select
        period,
        indicator_id,
        kind,
        value,
        value_source_period,
        annual_target,
        target_is_derived,
        case when kind <> 'rate' and annual_target <> 0 then 100.0 * value / annual_target end as completion_pct,
        100.0 * {{ time_progress('period_month') }} as time_progress_pct,
        {{ traffic_light('kind', 'value', 'annual_target', 'period_month', 'is_due') }} as light,
        {{ light_reason('kind', 'value', 'annual_target', 'period_month', 'is_due', 'carried_from') }} as light_reason,
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
        -- linear in months: the pace so far (per month since 2022-12) over the plan's 60 months
        case when target_2027 is not null then value_since_2023 * 60 / months_since_plan_start end as projected_2027
    from progress
)

select * from final
