{{ config(**period_mart_config()) }}
-- 争先创优晾晒表: per (period, department) the lights of the indicators it owns, the files it owed
-- and how they came, a score and a rank (rule in the yml).
with

periods as (
    select period from {{ ref('int_periods') }}
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

indicators as (
    select * from {{ ref('fct_indicator_progress') }}
    -- Same period only: the periods in range were rebuilt upstream in this run.
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

-- The files each department owes (a department sending a feed it does not owe is not scored).
files as (
    select * from {{ ref('fct_feed_completeness') }}
    where
        is_owed
    {% if is_incremental() %}
        and {{ in_run_periods() }}
    {% endif %}
),

departments as (
    select * from {{ ref('ref_departments') }}
),

light_counts as (
    select
        period,
        owner_dept as dept_name,
        count(*) as indicators_owned,
        sum(case when light = '绿' then 1 else 0 end) as greens,
        sum(case when light = '黄' then 1 else 0 end) as yellows,
        sum(case when light = '红' then 1 else 0 end) as reds,
        sum(case when light not in ('绿', '黄', '红') then 1 else 0 end) as no_lights
    from indicators
    group by period, owner_dept
),

red_lists as (
    select
        period,
        owner_dept as dept_name,
        {{ dbt.listagg('indicator_name', "'、'", 'order by sort_order') }} as red_light_indicators
    from indicators
    where light = '红'
    group by period, owner_dept
),

file_counts as (
    select
        period,
        dept_name,
        sum(case when state <> 'not_yet_due' then 1 else 0 end) as files_due,
        sum(case when state = 'on_time' then 1 else 0 end) as files_on_time,
        sum(case when state = 'late' then 1 else 0 end) as files_late,
        sum(case when state = 'missing' then 1 else 0 end) as files_missing
    from files
    group by period, dept_name
),

file_lists as (
    select
        period,
        dept_name,
        {{ dbt.listagg(
            "feed_name_zh || case when state = 'late' then '（迟报）' else '（未报）' end",
            "'、'",
            'order by feed_id'
        ) }} as late_or_missing_feeds
    from files
    where state in ('late', 'missing')
    group by period, dept_name
),

department_periods as (
    select
        period,
        dept_name
    from light_counts
    union
    select
        period,
        dept_name
    from file_counts
),

scored as (
    select
        department_periods.period,
        department_periods.dept_name,
        departments.sort_order as dept_sort_order,
        coalesce(light_counts.indicators_owned, 0) as indicators_owned,
        coalesce(light_counts.greens, 0) as greens,
        coalesce(light_counts.yellows, 0) as yellows,
        coalesce(light_counts.reds, 0) as reds,
        coalesce(light_counts.no_lights, 0) as no_lights,
        coalesce(file_counts.files_due, 0) as files_due,
        coalesce(file_counts.files_on_time, 0) as files_on_time,
        coalesce(file_counts.files_late, 0) as files_late,
        coalesce(file_counts.files_missing, 0) as files_missing,
        red_lists.red_light_indicators,
        file_lists.late_or_missing_feeds
    from department_periods
    inner join periods on department_periods.period = periods.period
    left join departments on department_periods.dept_name = departments.dept_name
    left join light_counts
        on department_periods.period = light_counts.period and department_periods.dept_name = light_counts.dept_name
    left join file_counts
        on department_periods.period = file_counts.period and department_periods.dept_name = file_counts.dept_name
    left join red_lists
        on department_periods.period = red_lists.period and department_periods.dept_name = red_lists.dept_name
    left join file_lists
        on department_periods.period = file_lists.period and department_periods.dept_name = file_lists.dept_name
),

with_score as (
    select
        scored.*,
        case
            when scored.greens + scored.yellows + scored.reds > 0
                then 100.0 * (3 * scored.greens + scored.yellows) / (3 * (scored.greens + scored.yellows + scored.reds))
            else 100.0
        end as indicator_score
    from scored
),

final as (
    select
        period,
        dept_name,
        cast(dept_sort_order as integer) as dept_sort_order,
        cast(indicators_owned as integer) as indicators_owned,
        cast(greens as integer) as greens,
        cast(yellows as integer) as yellows,
        cast(reds as integer) as reds,
        cast(no_lights as integer) as no_lights,
        cast(files_due as integer) as files_due,
        cast(files_on_time as integer) as files_on_time,
        cast(files_late as integer) as files_late,
        cast(files_missing as integer) as files_missing,
        cast(indicator_score as {{ type_double() }}) as indicator_score,
        cast(greatest(indicator_score - 5 * (files_late + files_missing), 0) as {{ type_double() }}) as score,
        cast(dense_rank() over (
            partition by period
            order by greatest(indicator_score - 5 * (files_late + files_missing), 0) desc
        ) as integer) as score_rank,
        cast(red_light_indicators as varchar) as red_light_indicators,
        cast(late_or_missing_feeds as varchar) as late_or_missing_feeds
    from with_score
)

select * from final
