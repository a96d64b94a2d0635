with

source as (
    {{ current_vintage_rows('enterprise_cultivation') }}
),

renamed as (
    select
        source._period as period,
        source.uscc,
        source.name,
        source.tier,
        source.industry_352,
        source.listed_month,
        source.status,
        source.is_eagle,
        source.is_pinzi,
        source.is_specialized,
        source.time_honored,
        {{ department_columns('recommending_dept') }},
        {{ lineage_columns('enterprise_cultivation', 'source') }}
    from source
),

final as (
    select * from renamed
)

select * from final
