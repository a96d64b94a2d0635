-- The indicators (int_indicators: the registry seed ref_indicators and the tasks the years' target
-- lists add) as analysts query them; target_YYYY is the year's official target: the year's list
-- (annual_targets), else the plan's.
with

indicators as (
    select * from {{ ref('int_indicators') }}
),

registry as (
    select * from {{ ref('ref_indicators') }}
),

listed as (
    select
        indicator_id,
        max(case when target_year = 2023 then annual_target end) as listed_2023,
        max(case when target_year = 2024 then annual_target end) as listed_2024,
        max(case when target_year = 2025 then annual_target end) as listed_2025,
        max(case when target_year = 2026 then annual_target end) as listed_2026,
        max(case when target_year = 2027 then annual_target end) as listed_2027
    from {{ ref('stg_annual_targets__targets') }}
    group by indicator_id
),

final as (
    select
        cast(indicators.indicator_id as varchar) as indicator_id,
        cast(indicators.indicator_name as varchar) as indicator_name,
        cast(indicators.unit as varchar) as unit,
        cast(indicators.kind as varchar) as kind,
        cast(indicators.source_feed as varchar) as source_feed,
        cast(indicators.owner_dept as varchar) as owner_dept,
        cast(indicators.indicator_group as varchar) as indicator_group,
        cast(indicators.goal_type as varchar) as goal_type,
        cast(indicators.cadence as varchar) as cadence,
        cast(coalesce(listed.listed_2023, registry.target_2023) as {{ type_double() }}) as target_2023,
        cast(coalesce(listed.listed_2024, registry.target_2024) as {{ type_double() }}) as target_2024,
        cast(coalesce(listed.listed_2025, registry.target_2025) as {{ type_double() }}) as target_2025,
        cast(coalesce(listed.listed_2026, registry.target_2026) as {{ type_double() }}) as target_2026,
        cast(coalesce(listed.listed_2027, registry.target_2027) as {{ type_double() }}) as target_2027,
        cast(indicators.goal_2027 as {{ type_double() }}) as goal_2027,
        cast(indicators.plan_ref as varchar) as plan_ref,
        cast(indicators.sort_order as integer) as sort_order
    from indicators
    left join registry on indicators.indicator_id = registry.indicator_id
    left join listed on indicators.indicator_id = listed.indicator_id
)

select * from final
