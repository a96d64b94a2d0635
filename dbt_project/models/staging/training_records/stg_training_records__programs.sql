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
        {{ resolved_department_columns('reporting_dept', 'dept_alias', 'reporting_dept') }},
        {{ lineage_columns('training_records', 'source') }}
    from source
    {{ join_department_alias('source.reporting_dept', 'dept_alias') }}
),

final as (
    select * from renamed
)

select * from final
