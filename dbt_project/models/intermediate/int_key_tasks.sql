-- The tasks of each year's 重点任务攻坚表: 附件1 for 2023 (seed ref_key_tasks) and every row of a
-- year's target list (feed annual_targets). A list row that continues a task of 附件1 (the same
-- indicator) keeps its number, section and wording; a new task (TYYYY-NN) or an indicator no task
-- of 附件1 measures takes the list's name. The lead department (who answers for the task) is the
-- indicator's owner: the registry's, or the first department a list names for a new task.
with

plan_tasks as (
    select * from {{ ref('ref_key_tasks') }}
),

indicators as (
    select * from {{ ref('int_indicators') }}
),

listed as (
    select
        target_year,
        indicator_id,
        indicator_name,
        unit,
        annual_target,
        responsible_dept,
        plan_ref
    from (
        select
            *,
            row_number() over (partition by target_year, indicator_id order by _row_number) as occurrence
        from {{ ref('stg_annual_targets__targets') }}
    ) as list_rows
    where occurrence = 1
),

plan_rows as (
    select
        {{ period_year('due_month') }} as task_year,
        task_id,
        seq_no,
        section_zh,
        task_name,
        measure,
        target_and_deadline,
        responsible_units,
        lead_dept,
        indicator_id,
        task_kind,
        due_month,
        sort_order
    from plan_tasks
),

list_rows as (
    select
        listed.target_year as task_year,
        coalesce(plan_tasks.task_id, listed.indicator_id) as task_id,
        plan_tasks.seq_no,
        coalesce(plan_tasks.section_zh, listed.plan_ref, '年度新增任务') as section_zh,
        coalesce(plan_tasks.task_name, listed.indicator_name) as task_name,
        coalesce(plan_tasks.measure, listed.indicator_name) as measure,
        cast(listed.target_year as varchar) || '年目标：'
        || case
            when listed.annual_target = floor(listed.annual_target)
                then cast(cast(listed.annual_target as bigint) as varchar)
            else cast(listed.annual_target as varchar)
        end
        || coalesce(listed.unit, '') as target_and_deadline,
        listed.responsible_dept as responsible_units,
        indicators.owner_dept as lead_dept,
        listed.indicator_id,
        'quantitative' as task_kind,
        cast(listed.target_year as varchar) || '-12' as due_month,
        coalesce(plan_tasks.sort_order, 1000 + indicators.sort_order) as sort_order
    from listed
    inner join indicators on listed.indicator_id = indicators.indicator_id
    left join plan_tasks on listed.indicator_id = plan_tasks.indicator_id
    -- a list re-issued for a year of 附件1 only sets targets: the plan's task stays as it is
    where not exists (
        select 1
        from plan_rows
        where plan_rows.task_year = listed.target_year and plan_rows.indicator_id = listed.indicator_id
    )
),

final as (
    select * from plan_rows
    union all
    select * from list_rows
)

select
    cast(task_year as integer) as task_year,
    cast(task_id as varchar) as task_id,
    cast(seq_no as integer) as seq_no,
    cast(section_zh as varchar) as section_zh,
    cast(task_name as varchar) as task_name,
    cast(measure as varchar) as measure,
    cast(target_and_deadline as varchar) as target_and_deadline,
    cast(responsible_units as varchar) as responsible_units,
    cast(lead_dept as varchar) as lead_dept,
    cast(indicator_id as varchar) as indicator_id,
    cast(task_kind as varchar) as task_kind,
    cast(due_month as varchar) as due_month,
    cast(sort_order as integer) as sort_order
from final
