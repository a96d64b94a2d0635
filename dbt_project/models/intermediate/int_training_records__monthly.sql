-- Monthly person-times per (department, programme) from the year-to-date values.
with

programs as (
    select * from {{ ref('stg_training_records__programs') }}
),

final as (
    select
        period,
        reporting_dept,
        program,
        {{ months_covered(['reporting_dept', 'program']) }} as months_covered,
        person_times_ytd,
        {{ ytd_to_monthly('person_times_ytd', ['reporting_dept', 'program']) }} as person_times_derived_month,
        person_times_month as person_times_reported_month
    from programs
)

select * from final
