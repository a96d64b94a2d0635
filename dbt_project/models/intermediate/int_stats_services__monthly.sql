-- Monthly flows of the services statistics from their year-to-date values:
-- month N = YTD(N) − YTD(previous period of the year); the first period of a year (1-2月) is its YTD.
with

industries as (
    select * from {{ ref('stg_stats_services__industries') }}
),

final as (
    select
        period,
        industry_code,
        industry_name,
        _is_total,
        {{ months_covered(['industry_code']) }} as months_covered,
        revenue_ytd,
        {{ ytd_to_monthly('revenue_ytd', ['industry_code']) }} as revenue_month,
        operating_profit_ytd,
        {{ ytd_to_monthly('operating_profit_ytd', ['industry_code']) }} as operating_profit_month,
        payroll_ytd,
        {{ ytd_to_monthly('payroll_ytd', ['industry_code']) }} as payroll_month
    from industries
)

select * from final
