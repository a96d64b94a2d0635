-- One row per (year, indicator) of that year's indicator table (int_indicator_years), with its
-- annual target (INDICATORS.md "Targets for years the plan does not state").
-- The target: the year's list (feed annual_targets), else the registry's official target of the
-- year, else a derived one (target_is_derived): total_2027 goals → goal / 5; level_2027 goals →
-- last year-end actual + (goal − last year-end actual) / (2028 − year), from the year after the
-- first actual; rates → the 2027 goal; annual_2023 tasks, listed tasks and years after 2027 → none.
-- A derived target in a count unit (家 个 项 场 人 名 人次) is rounded up (macro round_up_count).
with

indicators as (
    select * from {{ ref('int_indicators') }}
),

registry as (
    select * from {{ ref('ref_indicators') }}
),

members as (
    select
        indicator_year as target_year,
        indicator_id
    from {{ ref('int_indicator_years') }}
),

year_end as (
    select * from {{ ref('int_indicator_year_end_values') }}
),

-- The year's list: one target per (year, id); a repeated id (an error on raw) counts once.
listed as (
    select
        target_year,
        indicator_id,
        annual_target
    from (
        select
            target_year,
            indicator_id,
            annual_target,
            row_number() over (partition by target_year, indicator_id order by _row_number) as occurrence
        from {{ ref('stg_annual_targets__targets') }}
    ) as list_rows
    where occurrence = 1
),

official as (
    select
        members.target_year,
        members.indicator_id,
        indicators.unit,
        indicators.goal_type,
        indicators.goal_2027,
        coalesce(
            listed.annual_target,
            case members.target_year
                when 2023 then registry.target_2023
                when 2024 then registry.target_2024
                when 2025 then registry.target_2025
                when 2026 then registry.target_2026
                when 2027 then registry.target_2027
            end
        ) as official_target,
        listed.annual_target is not null as target_is_listed
    from members
    inner join indicators on members.indicator_id = indicators.indicator_id
    left join registry on members.indicator_id = registry.indicator_id
    left join listed on members.target_year = listed.target_year and members.indicator_id = listed.indicator_id
),

derived as (
    select
        official.target_year,
        official.indicator_id,
        official.unit,
        official.official_target,
        official.target_is_listed,
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
        cast(coalesce(official_target, {{ round_up_count('derived_target', 'unit') }}) as {{ type_double() }})
            as annual_target,
        (official_target is null and derived_target is not null) as target_is_derived,
        target_is_listed
    from derived
)

select * from final
