-- Monthly tax revenue per industry (万元) from the year-to-date values.
with

industries as (
    select * from {{ ref('stg_tax_revenue__industries') }}
),

final as (
    select
        period,
        industry_code,
        industry_name,
        _is_total,
        {{ months_covered(['industry_code']) }} as months_covered,
        tax_ytd,
        {{ ytd_to_monthly('tax_ytd', ['industry_code']) }} as tax_month
    from industries
)

select * from final
