{{ config(**period_mart_config()) }}
-- 重大项目实施表: one row per (period, project) of each period's project list, with the
-- completion of the annual investment plan and its light (the cumulative rule of INDICATORS.md).
with

projects as (
    select * from {{ ref('stg_major_projects__projects') }}
    where not coalesce(_is_total, false)
),

-- "A project counts in the year it first appears in the list" (INDICATORS.md).
first_seen as (
    select
        project_code,
        min({{ period_year('period') }}) as first_seen_year
    from projects
    group by project_code
),

measured as (
    select
        projects.*,
        {{ period_month('projects.period') }} as period_month,
        first_seen.first_seen_year
    from projects
    inner join first_seen on projects.project_code = first_seen.project_code
    -- Bounded here, not in `projects`: a project's first year needs every earlier list.
    {% if is_incremental() %}
        where {{ in_run_periods('projects.period') }}
    {% endif %}
),

final as (
    select
        period,
        project_code,
        name as project_name,
        project_type,
        level as project_level,
        is_qxwy,
        total_investment,
        annual_plan_investment,
        completed_ytd,
        completed_since_start,
        100.0 * completed_ytd / nullif(annual_plan_investment, 0) as completion_rate_pct,
        100.0 * {{ time_progress('period_month') }} as time_progress_pct,
        {{ traffic_light("'cumulative'", 'completed_ytd', 'nullif(annual_plan_investment, 0)', 'period_month') }}
            as light,
        {{ light_reason("'cumulative'", 'completed_ytd', 'nullif(annual_plan_investment, 0)', 'period_month') }}
            as light_reason,
        responsible_dept,
        responsible_dept_raw,
        dept_resolved,
        status,
        street,
        start_month,
        planned_end_month,
        first_seen_year,
        first_seen_year = {{ period_year('period') }} as is_new_this_year,
        _file_name,
        _row_number
    from measured
)

select * from final
