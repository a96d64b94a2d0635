with

source as (
    {{ current_vintage_rows('tax_revenue') }}
),

renamed as (
    select
        source._period as period,
        source.industry_code,
        source.industry_name,
        source.tax_ytd,
        source.tax_prior_ytd,
        source.tax_yoy_pct,
        {{ lineage_columns('tax_revenue', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
