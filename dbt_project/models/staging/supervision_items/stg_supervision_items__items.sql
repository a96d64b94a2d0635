with

source as (
    {{ current_vintage_rows('supervision_items') }}
),

renamed as (
    select
        source._period as period,
        source.item_id,
        {{ resolved_department_columns('responsible_dept', 'dept_alias', 'responsible_dept') }},
        source.description,
        source.raised_on,
        source.due_on,
        source.closed_on,
        source.status,
        {{ lineage_columns('supervision_items', 'source') }}
    from source
    {{ join_department_alias('source.responsible_dept', 'dept_alias') }}
),

final as (
    select * from renamed
)

select * from final
