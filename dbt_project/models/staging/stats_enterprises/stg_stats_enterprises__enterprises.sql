with

source as (
    {{ current_vintage_rows('stats_enterprises') }}
),

renamed as (
    select
        source._period as period,
        source.uscc,
        source.name,
        source.industry_code,
        source.street,
        source.entered_scope_month,
        {{ in_warehouse_unit('stats_enterprises', 'revenue_ytd') }} as revenue_ytd,
        {{ in_warehouse_unit('stats_enterprises', 'revenue_prior_ytd') }} as revenue_prior_ytd,
        {{ in_warehouse_unit('stats_enterprises', 'payroll_ytd') }} as payroll_ytd,
        source.employees,
        {{ lineage_columns('stats_enterprises', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
