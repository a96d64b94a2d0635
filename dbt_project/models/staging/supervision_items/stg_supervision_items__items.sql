with

source as (
    {{ current_vintage_rows('supervision_items') }}
),

renamed as (
    select
        source._period as period,
        source.item_id,
        {{ department_columns('responsible_dept') }},
        source.description,
        source.raised_on,
        source.due_on,
        source.closed_on,
        source.status,
        {{ lineage_columns('supervision_items', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
