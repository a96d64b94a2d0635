with

source as (
    {{ current_vintage_rows('dept_task_progress') }}
),

renamed as (
    select
        source._period as period,
        source.indicator_id,
        source.indicator_name,
        source.value_ytd,
        source.unit,
        source.progress_note,
        source.issues_note,
        {{ department_columns('reporting_dept') }},
        source.reported_on,
        {{ lineage_columns('dept_task_progress', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
