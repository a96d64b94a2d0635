with

source as (
    {{ current_vintage_rows('stats_fai') }}
),

renamed as (
    select
        source._period as period,
        source.indicator,
        case when source.indicator = '第三产业投资' then '服务业投资' else source.indicator end as indicator_canonical,
        source.yoy_pct,
        source.share_pct,
        {{ lineage_columns('stats_fai', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
