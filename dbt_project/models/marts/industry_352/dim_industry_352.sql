-- The ten "352" industries and their three groups (plan 附件1 二), with the divisions behind each.
with

mapping as (
    select * from {{ ref('ref_industry_352') }}
),

final as (
    select
        industry_352,
        min(industry_352_order) as industry_352_order,
        min(group_352) as group_352,
        min(group_352_order) as group_352_order,
        count(*) as division_count,
        {{ dbt.listagg('industry_code', "'、'", 'order by industry_code') }} as division_codes
    from mapping
    group by industry_352
)

select * from final
