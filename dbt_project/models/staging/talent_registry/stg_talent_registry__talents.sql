with

source as (
    {{ current_vintage_rows('talent_registry') }}
),

-- person_key was computed at landing (ingest/pii.py): the secret never reaches dbt.
renamed as (
    select
        source._period as period,
        source.person_key,
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
