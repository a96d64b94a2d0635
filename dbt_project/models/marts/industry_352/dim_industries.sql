-- GB/T 4754-2017 sections and divisions of the services sector, with each division's "352" industry.
with

industries as (
    select * from {{ ref('ref_industries') }}
),

mapping as (
    select * from {{ ref('ref_industry_352') }}
),

sections as (
    select
        industry_code,
        industry_name
    from industries
    where level = 'section'
),

final as (
    select
        industries.industry_code,
        industries.industry_name,
        industries.level,
        industries.section_code,
        sections.industry_name as section_name,
        industries.in_services_scope,
        mapping.industry_352,
        mapping.group_352,
        mapping.basis as industry_352_basis,
        industries.sort_order
    from industries
    left join sections on industries.section_code = sections.industry_code
    left join mapping on industries.industry_code = mapping.industry_code
)

select * from final
