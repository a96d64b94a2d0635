{#
    Each of `column_names` holds a value on every row, in one query. A not_null test per column reads
    the model once per column, and a staging view over every month of a feed is computed again for
    each read. Fails with the offending rows; `null_columns` names the columns empty on each.
#}
{% test not_null_columns(model, column_names) %}
select
    concat_ws(', '
        {%- for column in column_names %}, case when {{ column }} is null then '{{ column }}' end{% endfor -%}
    ) as null_columns,
    *
from {{ model }}
where
    {%- for column in column_names %} {{ column }} is null{% if not loop.last %} or{% endif %}{% endfor %}
{% endtest %}
