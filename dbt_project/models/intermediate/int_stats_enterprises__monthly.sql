-- Monthly revenue and payroll per enterprise (万元) from the year-to-date values.
with

enterprises as (
    select * from {{ ref('stg_stats_enterprises__enterprises') }}
),

final as (
    select
        period,
        uscc,
        industry_code,
        {{ months_covered(['uscc']) }} as months_covered,
        revenue_ytd,
        {{ ytd_to_monthly('revenue_ytd', ['uscc']) }} as revenue_month,
        payroll_ytd,
        {{ ytd_to_monthly('payroll_ytd', ['uscc']) }} as payroll_month
    from enterprises
)

select * from final
