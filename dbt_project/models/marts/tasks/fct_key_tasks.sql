{{ config(**period_mart_config()) }}
-- 重点任务攻坚表: every task of each year (int_key_tasks: 附件1 for 2023, the year's target list
-- after) at every period of its year, with a status. A task measured by an indicator takes it from
-- the indicator's light and value; any other task from its lead department's 进展情况
-- (dept_task_progress rows whose 指标代码 is the task_id). Only the lead department's rows count.
with

tasks as (
    select * from {{ ref('int_key_tasks') }}
),

periods as (
    select
        period,
        period_year,
        period_month
    from {{ ref('int_periods') }}
    -- Bounds the output; notes and reports still read the whole year from staging.
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

indicator_progress as (
    select
        period,
        indicator_id,
        value,
        annual_target,
        light,
        light_reason
    from {{ ref('fct_indicator_progress') }}
    -- Same period only: the periods in range were rebuilt upstream in this run.
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

-- Progress rows the lead department reported for a task in the task's year: under its task_id, or
-- under its linked indicator (the task_id row first). The lead answers for the task: another
-- department's row never stands in for it (INDICATORS.md "Completeness inside a value"), so a
-- period without the lead's row is 未报送.
reports as (
    select
        tasks.task_id,
        progress.period,
        progress.reporting_dept,
        progress.value_ytd,
        nullif(trim(progress.progress_note), '') as progress_note,
        nullif(trim(progress.issues_note), '') as issues_note,
        row_number() over (
            partition by tasks.task_id, progress.period
            order by
                case when progress.indicator_id = tasks.task_id then 0 else 1 end,
                progress._row_number asc
        ) as report_rank
    from tasks
    inner join {{ ref('stg_dept_task_progress__indicators') }} as progress
        on
            (tasks.task_id = progress.indicator_id or tasks.indicator_id = progress.indicator_id)
            and tasks.lead_dept = progress.reporting_dept
            and tasks.task_year = {{ period_year('progress.period') }}
),

period_report as (
    select * from reports
    where report_rank = 1
),

task_periods as (
    select
        tasks.*,
        periods.period,
        periods.period_month
    from tasks
    inner join periods on tasks.task_year = periods.period_year
),

-- The latest note of the task's year up to each period (a quiet month shows the last thing said).
ranked_notes as (
    select
        task_periods.task_id,
        task_periods.period,
        reports.progress_note,
        reports.period as note_period,
        row_number() over (
            partition by task_periods.task_id, task_periods.period
            order by reports.period desc, reports.report_rank asc
        ) as note_rank
    from task_periods
    inner join reports
        on
            task_periods.task_id = reports.task_id
            and task_periods.period >= reports.period
            and {{ period_year('task_periods.period') }} = {{ period_year('reports.period') }}
            and reports.progress_note is not null
),

latest_note as (
    select * from ranked_notes
    where note_rank = 1
),

judged as (
    select
        task_periods.*,
        indicator_progress.value as indicator_value,
        indicator_progress.annual_target,
        indicator_progress.light,
        indicator_progress.light_reason,
        period_report.task_id is not null as reported_this_period,
        period_report.value_ytd as reported_value,
        period_report.progress_note as period_note,
        period_report.issues_note,
        period_report.reporting_dept as note_dept,
        latest_note.progress_note,
        latest_note.note_period,
        case
            when task_periods.indicator_id is not null
                then
                    case
                        when indicator_progress.light_reason = '未报送' then '未报送'
                        when indicator_progress.value >= indicator_progress.annual_target then '已完成'
                        when indicator_progress.light = '红' then '滞后'
                        when coalesce(indicator_progress.value, 0) = 0 then '未启动'
                        else '推进中'
                    end
            -- Qualitative tasks: 本年累计值 1 (是) or a note starting 已完成 marks the deliverable done.
            when period_report.value_ytd >= 1 or period_report.progress_note like '已完成%' then '已完成'
            when period_report.task_id is null then '未报送'
            when task_periods.period >= task_periods.due_month then '滞后'
            when period_report.progress_note is not null then '推进中'
            else '未启动'
        end as status
    from task_periods
    left join indicator_progress
        on
            task_periods.period = indicator_progress.period
            and task_periods.indicator_id = indicator_progress.indicator_id
    left join period_report
        on task_periods.task_id = period_report.task_id and task_periods.period = period_report.period
    left join latest_note
        on task_periods.task_id = latest_note.task_id and task_periods.period = latest_note.period
),

final as (
    select
        period,
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
        status,
        case when indicator_id is not null then 'indicator' else 'progress_report' end as status_basis,
        indicator_value,
        annual_target,
        light,
        light_reason,
        reported_this_period,
        progress_note,
        note_period as progress_note_period,
        issues_note,
        note_dept as reporting_dept,
        sort_order
    from judged
)

select * from final
