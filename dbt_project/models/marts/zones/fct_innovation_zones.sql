{{ config(**period_mart_config()) }}
-- 现代服务业创新发展区: one row per (period, zone) of each period's zone list, so the year-end
-- evaluation can give every zone its page (年度绩效评估) from published rows.
with

zones as (
    select * from {{ ref('stg_innovation_zones__zones') }}
    -- total rows are dropped by current_vintage_rows
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

final as (
    select
        period,
        zone_name,
        level as zone_level,
        status as zone_status,
        coalesce(is_high_tier, false) as is_high_tier,
        cast(revenue_ytd as float8) as revenue_ytd,
        cast(tax_ytd as float8) as tax_ytd,
        cast(enterprises as integer) as enterprises
    from zones
)

select * from final
