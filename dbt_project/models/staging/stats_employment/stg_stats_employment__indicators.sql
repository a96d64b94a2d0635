with

source as (
    {{ current_vintage_rows('stats_employment') }}
),

renamed as (
    select
        source._period as period,
        source.indicator,
        source.persons,
        {{ lineage_columns('stats_employment', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
