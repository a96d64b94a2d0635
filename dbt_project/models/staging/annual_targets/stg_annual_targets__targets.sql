-- 年度目标任务分解: the current list of each year (period YYYY-01), one row per indicator or new
-- task; the kind decoded to the indicator registry's (累计 → cumulative, 节点 → milestone,
-- 比率 → rate: registry Column.codes); the lead department is the first one named.
with

source as (
    {{ current_vintage_rows('annual_targets') }}
),

renamed as (
    select
        source._period as period,
        cast(substr(source._period, 1, 4) as integer) as target_year,
        source.indicator_id,
        source.name as indicator_name,
        source.unit,
        {{ decoded('annual_targets', 'kind') }} as kind,
        source.kind as kind_written,
        source.annual_target,
        {{ department_columns('responsible_dept') }},
        split_part(coalesce(source.responsible_dept_canonical, source.responsible_dept), '、', 1) as lead_dept,
        source.plan_ref,
        {{ lineage_columns('annual_targets', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
