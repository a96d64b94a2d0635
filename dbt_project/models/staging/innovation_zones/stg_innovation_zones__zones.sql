with

source as (
    {{ current_vintage_rows('innovation_zones') }}
),

renamed as (
    select
        source._period as period,
        source.zone_name,
        source.level,
        source.status,
        source.is_high_tier,
        source.revenue_ytd,
        source.tax_ytd,
        source.enterprises,
        {{ lineage_columns('innovation_zones', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
