-- The indicator registry (seed ref_indicators) as analysts query it.
with

registry as (
    select * from {{ ref('ref_indicators') }}
),

final as (
    select
        cast(indicator_id as varchar) as indicator_id,
        cast(indicator_name as varchar) as indicator_name,
        cast(unit as varchar) as unit,
        cast(kind as varchar) as kind,
        cast(source_feed as varchar) as source_feed,
        cast(owner_dept as varchar) as owner_dept,
        cast(indicator_group as varchar) as indicator_group,
        cast(goal_type as varchar) as goal_type,
        cast(cadence as varchar) as cadence,
        cast(target_2023 as {{ type_double() }}) as target_2023,
        cast(target_2024 as {{ type_double() }}) as target_2024,
        cast(target_2025 as {{ type_double() }}) as target_2025,
        cast(target_2026 as {{ type_double() }}) as target_2026,
        cast(target_2027 as {{ type_double() }}) as target_2027,
        cast(goal_2027 as {{ type_double() }}) as goal_2027,
        cast(plan_ref as varchar) as plan_ref,
        cast(sort_order as integer) as sort_order
    from registry
)

select * from final
