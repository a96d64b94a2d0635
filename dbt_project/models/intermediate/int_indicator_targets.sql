-- The annual target of every indicator for every year of the spine (INDICATORS.md "Targets for
-- years the plan does not state"): the seed's official target, else a derived one
-- (target_is_derived): total_2027 goals → goal / 5; level_2027 goals → last year-end actual +
-- (goal − last year-end actual) / (2028 − year), from the year after the first actual; rates →
-- the 2027 goal; annual_2023 tasks and years after 2027 → none.
with

registry as (
    select * from {{ ref('ref_indicators') }}
),

years as (
    select distinct period_year as target_year from {{ ref('int_periods') }}
),

year_end as (
    select * from {{ ref('int_indicator_year_end_values') }}
),

official as (
    select
        years.target_year,
        registry.indicator_id,
        registry.goal_type,
        registry.goal_2027,
        case years.target_year
            when 2023 then registry.target_2023
            when 2024 then registry.target_2024
            when 2025 then registry.target_2025
            when 2026 then registry.target_2026
            when 2027 then registry.target_2027
        end as official_target
    from years
    cross join registry
),

derived as (
    select
        official.target_year,
        official.indicator_id,
        official.official_target,
        case
            when official.target_year > 2027 then null
            when official.goal_type = 'total_2027' then official.goal_2027 / 5.0
            when official.goal_type = 'level_2027'
                then
                    last_year.year_end_value
                    + (official.goal_2027 - last_year.year_end_value) / (2028 - official.target_year)
            when official.goal_type = 'rate' then official.goal_2027
        end as derived_target
    from official
    left join year_end as last_year
        on official.indicator_id = last_year.indicator_id and last_year.value_year = official.target_year - 1
),

final as (
    select
        target_year,
        indicator_id,
        cast(coalesce(official_target, derived_target) as {{ type_double() }}) as annual_target,
        (official_target is null and derived_target is not null) as target_is_derived
    from derived
)

select * from final
