with

source as (
    {{ current_vintage_rows('stats_services') }}
),

renamed as (
    select
        source._period as period,
        source.industry_code,
        source.industry_name,
        source.enterprise_count,
        source.revenue_ytd,
        source.revenue_prior_ytd,
        source.revenue_yoy_pct,
        source.operating_profit_ytd,
        source.payroll_ytd,
        source.employees,
        {{ lineage_columns('stats_services', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
