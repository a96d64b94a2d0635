-- Every indicator the platform tracks, one row each: the indicator registry (seed ref_indicators,
-- INDICATORS.md) and the tasks a year's target list adds (feed annual_targets, codes TYYYY-NN).
-- A listed task takes its name, unit, kind and lead department (the first one named) from the
-- latest list that names it; it is reported through dept_task_progress like the plan's tasks. A
-- registry indicator keeps the registry's attributes: a list only gives it a year's target.
with

registry as (
    select * from {{ ref('ref_indicators') }}
),

listed as (
    select * from {{ ref('stg_annual_targets__targets') }}
),

-- An id that is neither in the registry nor a task code is an error on raw; it is left out here.
new_tasks as (
    select
        indicator_id,
        indicator_name,
        unit,
        kind,
        lead_dept,
        responsible_dept,
        plan_ref,
        row_number() over (partition by indicator_id order by target_year desc, _row_number asc) as recency
    from listed
    where
        indicator_id like 'T____-__'
        and not exists (
            select 1
            from registry
            where registry.indicator_id = listed.indicator_id
        )
),

final as (
    select
        cast(indicator_id as varchar) as indicator_id,
        cast(indicator_name as varchar) as indicator_name,
        cast(unit as varchar) as unit,
        cast(kind as varchar) as kind,
        cast(source_feed as varchar) as source_feed,
        cast(owner_dept as varchar) as owner_dept,
        cast(owner_dept as varchar) as responsible_units,
        cast(indicator_group as varchar) as indicator_group,
        cast(goal_type as varchar) as goal_type,
        cast(cadence as varchar) as cadence,
        cast(goal_2027 as {{ type_double() }}) as goal_2027,
        cast(plan_ref as varchar) as plan_ref,
        cast(sort_order as integer) as sort_order,
        false as is_listed_task
    from registry
    union all
    select
        cast(indicator_id as varchar) as indicator_id,
        cast(indicator_name as varchar) as indicator_name,
        cast(unit as varchar) as unit,
        cast(kind as varchar) as kind,
        cast('dept_task_progress' as varchar) as source_feed,
        cast(lead_dept as varchar) as owner_dept,
        cast(responsible_dept as varchar) as responsible_units,
        cast('重点任务' as varchar) as indicator_group,
        -- a task of a year's list: a target only in the years whose list states one
        cast('annual_list' as varchar) as goal_type,
        cast('monthly' as varchar) as cadence,
        cast(null as {{ type_double() }}) as goal_2027,
        cast(plan_ref as varchar) as plan_ref,
        cast(600 + row_number() over (order by indicator_id) as integer) as sort_order,
        true as is_listed_task
    from new_tasks
    where recency = 1
)

select * from final
