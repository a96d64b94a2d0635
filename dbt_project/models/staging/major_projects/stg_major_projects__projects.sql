with

source as (
    {{ current_vintage_rows('major_projects') }}
),

renamed as (
    select
        source._period as period,
        source.project_code,
        source.name,
        source.project_type,
        source.level,
        source.is_qxwy,
        source.total_investment,
        source.annual_plan_investment,
        source.completed_ytd,
        source.completed_since_start,
        source.start_month,
        source.planned_end_month,
        source.status,
        {{ department_columns('responsible_dept') }},
        source.street,
        {{ lineage_columns('major_projects', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
