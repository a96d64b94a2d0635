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
        {{ convert_unit('revenue_ytd', '千元', '万元') }} as revenue_ytd,
        {{ convert_unit('revenue_prior_ytd', '千元', '万元') }} as revenue_prior_ytd,
        {{ convert_unit('payroll_ytd', '千元', '万元') }} as payroll_ytd,
        source.employees,
        {{ lineage_columns('stats_enterprises', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
