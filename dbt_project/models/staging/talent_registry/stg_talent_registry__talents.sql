with

source as (
    {{ current_vintage_rows('talent_registry') }}
),

renamed as (
    select
        source._period as period,
        {{ person_key('id_number') }} as person_key,
        source.category,
        source.industry_352,
        source.recognized_month,
        source.employer_uscc,
        source.status,
        {{ lineage_columns('talent_registry', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
