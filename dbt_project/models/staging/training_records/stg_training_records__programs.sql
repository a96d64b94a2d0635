with

source as (
    {{ current_vintage_rows('training_records') }}
),

renamed as (
    select
        source._period as period,
        source.program,
        source.person_times_month,
        source.person_times_ytd,
        {{ department_columns('reporting_dept') }},
        {{ lineage_columns('training_records', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
