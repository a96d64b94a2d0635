{{ config(**period_mart_config()) }}
-- 主要指标进度表: one row per (period, indicator) of the period's year: every registry indicator
-- at every period of the spine, a task a year's target list adds at the periods of that year.
-- Partitioned by period: an incremental run rebuilds the periods in [var period_from, var
-- period_to]; a full refresh builds every period.
with

registry as (
    select * from {{ ref('int_indicators') }}
),

lights as (
    select * from {{ ref('int_indicator_lights') }}
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

final as (
    select
        cast(lights.period as varchar) as period,
        cast(lights.indicator_id as varchar) as indicator_id,
        cast(registry.indicator_name as varchar) as indicator_name,
        cast(registry.unit as varchar) as unit,
        cast(registry.kind as varchar) as kind,
        cast(registry.owner_dept as varchar) as owner_dept,
        cast(lights.value as {{ type_double() }}) as value,
        cast(lights.annual_target as {{ type_double() }}) as annual_target,
        cast(lights.target_is_derived as boolean) as target_is_derived,
        cast(lights.completion_pct as {{ type_double() }}) as completion_pct,
        cast(lights.time_progress_pct as {{ type_double() }}) as time_progress_pct,
        cast(lights.light as varchar) as light,
        cast(lights.light_reason as varchar) as light_reason,
        cast(lights.target_2027 as {{ type_double() }}) as target_2027,
        cast(lights.value_since_2023 as {{ type_double() }}) as value_since_2023,
        cast(lights.completion_2027_pct as {{ type_double() }}) as completion_2027_pct,
        cast(lights.time_progress_2027_pct as {{ type_double() }}) as time_progress_2027_pct,
        cast(lights.projected_2027 as {{ type_double() }}) as projected_2027,
        cast(registry.indicator_group as varchar) as indicator_group,
        cast(registry.plan_ref as varchar) as plan_ref,
        cast(registry.source_feed as varchar) as source_feed,
        cast(registry.sort_order as integer) as sort_order,
        cast(lights.value_source_period as varchar) as value_source_period,
        cast(lights.light_2027 as varchar) as light_2027,
        cast(lights.light_2027_reason as varchar) as light_2027_reason
    from lights
    inner join registry on lights.indicator_id = registry.indicator_id
)

select * from final
