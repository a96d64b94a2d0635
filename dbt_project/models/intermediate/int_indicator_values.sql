-- One row per (period, indicator) where the period has a value: the home of INDICATORS.md
-- "What value means" and "Completeness inside a value" for every indicator (int_indicators: the
-- registry and the tasks the year's lists add). Snapshot feeds give a value (maybe 0) at every
-- period they were received; a feed not received gives no row. `unreported_departments` names the
-- departments a sum over departments lacks (training: reported the programme earlier in the year,
-- sent no file for the period); NULL when the sum is complete.
with

zones as (
    select * from {{ ref('stg_innovation_zones__zones') }}
),

cultivation as (
    select * from {{ ref('stg_enterprise_cultivation__enterprises') }}
),

enterprises as (
    select * from {{ ref('stg_stats_enterprises__enterprises') }}
),

projects as (
    select * from {{ ref('stg_major_projects__projects') }}
),

fai as (
    select * from {{ ref('stg_stats_fai__indicators') }}
),

talents as (
    select * from {{ ref('stg_talent_registry__talents') }}
),

training as (
    select * from {{ ref('stg_training_records__programs') }}
),

employment as (
    select * from {{ ref('stg_stats_employment__indicators') }}
),

task_progress as (
    select * from {{ ref('stg_dept_task_progress__indicators') }}
),

indicators as (
    select * from {{ ref('int_indicators') }}
),

-- Zones: provincial / municipal count when 创建 or 命名; revenue and tax summed over all zones (亿元).
zone_values as (
    select
        period,
        sum(case when level = '省级' and status in ('创建', '命名') then 1 else 0 end) as zones_provincial,
        sum(case when level = '市级' and status in ('创建', '命名') then 1 else 0 end) as zones_municipal,
        sum(case when is_high_tier then 1 else 0 end) as zones_high_tier,
        sum(revenue_ytd) as zones_revenue,
        sum(tax_ytd) as zones_tax
    from zones
    group by period
),

-- An enterprise is 百亿级 when its revenue reached 100 亿元 in the current year so far or in the
-- whole previous year (its December YTD).
hundred_billion_revenue as (
    select distinct
        cultivation.period,
        cultivation.uscc
    from cultivation
    inner join enterprises
        on
            cultivation.uscc = enterprises.uscc
            and cultivation.period >= enterprises.period
            and (
                substr(enterprises.period, 1, 4) = substr(cultivation.period, 1, 4)
                or enterprises.period = {{ make_period(period_year('cultivation.period') ~ ' - 1', '12') }}
            )
    where enterprises.revenue_ytd >= {{ in_staged_unit(100, '亿元', 'stats_enterprises', 'revenue_ytd') }}
),

-- Enterprise tiers count enterprises 在库 in the period's list; 新培育领军企业 are the 百亿级龙头 and
-- 领跑企业 listed (纳入时间) in the period's year and not 调出.
cultivation_values as (
    select
        cultivation.period,
        sum(case
            when cultivation.tier = '百亿级龙头' and cultivation.status = '在库' and hundred_billion_revenue.uscc is not null
                then 1
            else 0
        end) as ent_leader_100bn,
        sum(case
            when
                cultivation.tier in ('百亿级龙头', '领跑企业') and cultivation.status <> '调出'
                and substr(cultivation.listed_month, 1, 4) = substr(cultivation.period, 1, 4)
                and cultivation.listed_month <= cultivation.period
                then 1
            else 0
        end) as ent_leaders_new,
        sum(case when cultivation.tier = '领跑企业' and cultivation.status = '在库' then 1 else 0 end) as ent_runners,
        sum(case when cultivation.tier = '创新型市场主体' and cultivation.status = '在库' then 1 else 0 end) as ent_innovative
    from cultivation
    left join hundred_billion_revenue
        on cultivation.period = hundred_billion_revenue.period and cultivation.uscc = hundred_billion_revenue.uscc
    group by cultivation.period
),

-- New above-scale enterprises: entered the scope (入库年月) in the period's year; a row without
-- 入库年月 is not counted (and is a warn in the checks).
new_above_scale_values as (
    select
        period,
        sum(case
            when substr(entered_scope_month, 1, 4) = substr(period, 1, 4) and entered_scope_month <= period
                then 1
            else 0
        end) as ent_new_above_scale
    from enterprises
    group by period
),

-- A project counts in the year it first appears in the list, once over the plan.
project_first_year as (
    select
        project_code,
        min(substr(period, 1, 4)) as first_year
    from projects
    group by project_code
),

projects_flagged as (
    select
        projects.*,
        project_first_year.first_year = substr(projects.period, 1, 4) as is_new
    from projects
    inner join project_first_year on projects.project_code = project_first_year.project_code
),

project_values as (
    select
        period,
        sum(case when is_new then 1 else 0 end) as proj_count,
        sum(case when is_new then total_investment else 0 end) as proj_total_investment,
        sum(case when is_new and project_type = '战略支撑型' then 1 else 0 end) as proj_strategic_count,
        sum(case when is_new and project_type = '战略支撑型' then total_investment else 0 end)
            as proj_strategic_investment,
        sum(case when is_new and project_type = '产业赋能型' then 1 else 0 end) as proj_empowering_count,
        sum(case when is_new and project_type = '产业赋能型' then total_investment else 0 end)
            as proj_empowering_investment,
        sum(case when is_new and project_type = '生活美好型' then 1 else 0 end) as proj_livelihood_count,
        sum(case when is_new and project_type = '生活美好型' then total_investment else 0 end)
            as proj_livelihood_investment,
        -- the yearly rolling lists: every item of the year's snapshot
        sum(case when level = '省重大' then 1 else 0 end) as proj_provincial_count,
        sum(case when level = '省重大' then total_investment else 0 end) as proj_provincial_total_investment,
        sum(case when level = '省重大' then completed_ytd else 0 end) as proj_provincial_completed,
        sum(case when is_qxwy then completed_ytd else 0 end) as proj_qxwy_completed
    from projects_flagged
    group by period
),

fai_values as (
    select
        period,
        max(yoy_pct) as inv_services_growth,
        max(share_pct) as inv_services_share
    from fai
    where indicator_canonical = '服务业投资'
    group by period
),

-- Talents recognised (认定时间) in the period's year.
talent_values as (
    select
        period,
        count(distinct case when category = '服务业领军人才' and in_year then person_key end) as talent_leaders,
        count(distinct case when category = '新生代企业家' and in_year then person_key end) as talent_entrepreneurs,
        count(distinct case when category = '高技能人才' and in_year then person_key end) as talent_skilled
    from (
        select
            *,
            (substr(recognized_month, 1, 4) = substr(period, 1, 4) and recognized_month <= period) as in_year
        from talents
    ) as talents_in_year
    group by period
),

-- Σ person_times_ytd over departments (each its current vintage) and programmes.
training_values as (
    select
        period,
        sum(person_times_ytd) as training_person_times,
        sum(case when program = '金蓝领' then person_times_ytd end) as golden_blue_collar,
        sum(case when program = '社会人员职业培训' then person_times_ytd end) as social_vocational_training,
        sum(case when program = '成人学历提升' then person_times_ytd end) as adult_degree_upgrade
    from training
    group by period
),

-- The programme each training indicator sums (NULL: every programme).
training_indicators as (
    select
        'training_person_times' as indicator_id,
        cast(null as varchar) as program
    union all
    select
        'golden_blue_collar' as indicator_id,
        '金蓝领' as program
    union all
    select
        'social_vocational_training' as indicator_id,
        '社会人员职业培训' as program
    union all
    select
        'adult_degree_upgrade' as indicator_id,
        '成人学历提升' as program
),

-- Who reported which programme in which period (a department's scope is its 填报单位).
training_reports as (
    select distinct
        period,
        _scope as dept_name,
        program
    from training
),

-- A sum is incomplete at a period with a value when a department that reported the indicator's
-- programme (any programme for the total) earlier in the year sent no file for the period.
training_unreported as (
    select distinct
        now_periods.period,
        training_indicators.indicator_id,
        earlier.dept_name
    from (select distinct period from training) as now_periods
    cross join training_indicators
    inner join training_reports as earlier
        on
            {{ period_year('now_periods.period') }} = {{ period_year('earlier.period') }}
            and now_periods.period > earlier.period
            and (training_indicators.program is null or training_indicators.program = earlier.program)
    where not exists (
        select 1
        from training_reports as sent
        where sent.period = now_periods.period and sent.dept_name = earlier.dept_name
    )
),

unreported as (
    select
        period,
        indicator_id,
        {{ dbt.listagg('dept_name', "'、'", 'order by dept_name') }} as unreported_departments
    from training_unreported
    group by period, indicator_id
),

-- 第三产业从业人员 / 全社会从业人员 × 100, at the quarters released.
employment_values as (
    select
        period,
        100.0 * max(case when indicator = '第三产业从业人员' then persons end)
        / nullif(max(case when indicator = '全社会从业人员' then persons end), 0) as employment_services_share
    from employment
    group by period
),

unpivoted as (
    {%- set columns = {
        'zone_values': ['zones_provincial', 'zones_municipal', 'zones_high_tier', 'zones_revenue', 'zones_tax'],
        'cultivation_values': ['ent_leader_100bn', 'ent_leaders_new', 'ent_runners', 'ent_innovative'],
        'new_above_scale_values': ['ent_new_above_scale'],
        'project_values': ['proj_count', 'proj_total_investment', 'proj_strategic_count', 'proj_strategic_investment',
                           'proj_empowering_count', 'proj_empowering_investment', 'proj_livelihood_count',
                           'proj_livelihood_investment', 'proj_provincial_count', 'proj_provincial_total_investment',
                           'proj_provincial_completed', 'proj_qxwy_completed'],
        'fai_values': ['inv_services_growth', 'inv_services_share'],
        'talent_values': ['talent_leaders', 'talent_entrepreneurs', 'talent_skilled'],
        'training_values': ['training_person_times', 'golden_blue_collar', 'social_vocational_training', 'adult_degree_upgrade'],
        'employment_values': ['employment_services_share'],
    } %}
    {%- for cte, indicator_ids in columns.items() %}
        {%- for indicator_id in indicator_ids %}
            select
                period,
                '{{ indicator_id }}' as indicator_id,
                cast({{ indicator_id }} as {{ type_double() }}) as value
            from {{ cte }}
            union all
        {%- endfor %}
    {%- endfor %}
    -- Department tasks: only the owner department's value_ytd counts (INDICATORS.md "Completeness
    -- inside a value"); when the owner sent nothing there is no value, whoever else wrote the task.
    -- A key repeated within the owner's file (an error on raw) counts its first row.
    select
        period,
        indicator_id,
        value
    from (
        select
            task_progress.period,
            task_progress.indicator_id,
            cast(task_progress.value_ytd as {{ type_double() }}) as value,
            row_number() over (
                partition by task_progress.period, task_progress.indicator_id
                order by task_progress._row_number
            ) as occurrence
        from task_progress
        inner join indicators
            on
                task_progress.indicator_id = indicators.indicator_id
                and indicators.source_feed = 'dept_task_progress'
                and task_progress.reporting_dept = indicators.owner_dept
    ) as task_values
    where occurrence = 1
),

final as (
    select
        unpivoted.period,
        unpivoted.indicator_id,
        unpivoted.value,
        cast(unreported.unreported_departments as varchar) as unreported_departments
    from unpivoted
    left join unreported
        on unpivoted.period = unreported.period and unpivoted.indicator_id = unreported.indicator_id
    where unpivoted.value is not null
)

select * from final
