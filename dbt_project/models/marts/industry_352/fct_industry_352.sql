{{ config(**period_mart_config()) }}
-- 规上服务业分行业营收: per period, one row per total, section, division, "352" industry and
-- "352" group, with YoY growth, contribution to growth, share, and the enterprise counts that
-- statistical disclosure control needs (a cell built from fewer than 3 enterprises is flagged).
with

services as (
    select * from {{ ref('stg_stats_services__industries') }}
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

industries as (
    select * from {{ ref('ref_industries') }}
),

mapping as (
    select * from {{ ref('ref_industry_352') }}
),

industry_352_orders as (
    select
        industry_352,
        min(industry_352_order) as industry_352_order
    from mapping
    group by industry_352
),

group_352_orders as (
    select
        group_352,
        min(group_352_order) as group_352_order
    from mapping
    group by group_352
),

-- Enterprise micro data behind each cell: the 4-digit 小类 gives the division, its section and its "352" industry.
enterprises as (
    select
        stg.period,
        stg.uscc,
        divisions.industry_code as division_code,
        divisions.section_code,
        mapping.industry_352,
        mapping.group_352
    from {{ ref('stg_stats_enterprises__enterprises') }} as stg
    left join industries as divisions
        on divisions.level = 'division' and substr(stg.industry_code, 1, 2) = divisions.industry_code
    left join mapping on divisions.industry_code = mapping.industry_code
    where
        not coalesce(stg._is_total, false)
    {% if is_incremental() %}
        and {{ in_run_periods('stg.period') }}
    {% endif %}
),

-- Each enterprise row once per cell it belongs to.
enterprise_cells as (
    select
        period,
        uscc,
        'total' as row_level,
        '合计' as row_code
    from enterprises
    union all
    select
        period,
        uscc,
        'section' as row_level,
        section_code as row_code
    from enterprises
    union all
    select
        period,
        uscc,
        'division' as row_level,
        division_code as row_code
    from enterprises
    union all
    select
        period,
        uscc,
        'industry_352' as row_level,
        industry_352 as row_code
    from enterprises
    union all
    select
        period,
        uscc,
        'group_352' as row_level,
        group_352 as row_code
    from enterprises
),

micro_counts as (
    select
        period,
        row_level,
        row_code,
        count(distinct uscc) as enterprise_count_micro
    from enterprise_cells
    where row_code is not null
    group by period, row_level, row_code
),

reported as (
    select
        services.period,
        case
            when coalesce(services._is_total, false) then 'total'
            else industries.level
        end as row_level,
        case when coalesce(services._is_total, false) then '合计' else services.industry_code end as row_code,
        coalesce(industries.industry_name, services.industry_name) as row_name,
        industries.section_code,
        mapping.industry_352,
        mapping.group_352,
        services.revenue_ytd,
        services.revenue_prior_ytd,
        services.enterprise_count,
        coalesce(industries.sort_order, 0) as sort_order
    from services
    left join industries on services.industry_code = industries.industry_code
    left join mapping on services.industry_code = mapping.industry_code
    -- rows with a code outside the reference table are left to the staging checks
    where coalesce(services._is_total, false) or industries.industry_code is not null
),

-- Divisions carry the "352" sums; a division without 企业数 counts its enterprises in the micro data.
divisions as (
    select
        reported.*,
        coalesce(reported.enterprise_count, micro.enterprise_count_micro) as enterprise_count_best
    from reported
    left join micro_counts as micro
        on reported.period = micro.period and micro.row_level = 'division' and reported.row_code = micro.row_code
    where reported.row_level = 'division'
),

industry_rows as (
    select
        divisions.period,
        'industry_352' as row_level,
        divisions.industry_352 as row_code,
        divisions.industry_352 as row_name,
        cast(null as varchar) as section_code,
        divisions.industry_352,
        min(divisions.group_352) as group_352,
        sum(divisions.revenue_ytd) as revenue_ytd,
        sum(divisions.revenue_prior_ytd) as revenue_prior_ytd,
        sum(divisions.enterprise_count_best) as enterprise_count,
        10000 + min(industry_352_orders.industry_352_order) as sort_order
    from divisions
    inner join industry_352_orders on divisions.industry_352 = industry_352_orders.industry_352
    group by divisions.period, divisions.industry_352
),

group_rows as (
    select
        divisions.period,
        'group_352' as row_level,
        divisions.group_352 as row_code,
        divisions.group_352 as row_name,
        cast(null as varchar) as section_code,
        cast(null as varchar) as industry_352,
        divisions.group_352,
        sum(divisions.revenue_ytd) as revenue_ytd,
        sum(divisions.revenue_prior_ytd) as revenue_prior_ytd,
        sum(divisions.enterprise_count_best) as enterprise_count,
        20000 + min(group_352_orders.group_352_order) as sort_order
    from divisions
    inner join group_352_orders on divisions.group_352 = group_352_orders.group_352
    group by divisions.period, divisions.group_352
),

all_rows as (
    select
        period,
        row_level,
        row_code,
        row_name,
        section_code,
        industry_352,
        group_352,
        revenue_ytd,
        revenue_prior_ytd,
        enterprise_count,
        sort_order
    from reported
    union all
    select * from industry_rows
    union all
    select * from group_rows
),

-- The base of shares and contributions: the 合计 row, or the sum of the sections without one.
totals as (
    select
        period,
        coalesce(
            max(case when row_level = 'total' then revenue_ytd end),
            sum(case when row_level = 'section' then revenue_ytd end)
        ) as total_revenue_ytd,
        coalesce(
            max(case when row_level = 'total' then revenue_prior_ytd end),
            sum(case when row_level = 'section' then revenue_prior_ytd end)
        ) as total_revenue_prior_ytd
    from reported
    group by period
),

final as (
    select
        all_rows.period,
        all_rows.row_level,
        all_rows.row_code,
        all_rows.row_name,
        all_rows.section_code,
        all_rows.industry_352,
        all_rows.group_352,
        all_rows.revenue_ytd,
        all_rows.revenue_prior_ytd,
        all_rows.revenue_ytd - all_rows.revenue_prior_ytd as revenue_change,
        100.0 * (all_rows.revenue_ytd / nullif(all_rows.revenue_prior_ytd, 0) - 1) as yoy_pct,
        100.0 * (all_rows.revenue_ytd - all_rows.revenue_prior_ytd)
        / nullif(totals.total_revenue_prior_ytd, 0) as growth_contribution_pct,
        100.0 * all_rows.revenue_ytd / nullif(totals.total_revenue_ytd, 0) as share_pct,
        cast(coalesce(all_rows.enterprise_count, micro.enterprise_count_micro) as integer) as enterprise_count,
        cast(coalesce(micro.enterprise_count_micro, 0) as integer) as enterprise_count_micro,
        -- Statistics Law art. 25: fewer than var disclosure_min_enterprises (3) enterprises, or an
        -- unknown count, is not published.
        coalesce(
            coalesce(all_rows.enterprise_count, micro.enterprise_count_micro) < {{ var('disclosure_min_enterprises') }},
            true
        ) as suppressed,
        cast(all_rows.sort_order as integer) as sort_order
    from all_rows
    left join totals on all_rows.period = totals.period
    left join micro_counts as micro
        on
            all_rows.period = micro.period
            and all_rows.row_level = micro.row_level
            and all_rows.row_code = micro.row_code
)

select * from final
