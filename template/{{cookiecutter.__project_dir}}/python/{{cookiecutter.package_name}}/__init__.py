"""{{ cookiecutter.description }}.

{%- if cookiecutter.input_kind == "subject" %}
``{{ cookiecutter.connector_class }}Input`` is the connector as a partitioned input (one
subject per file); run it on Bytewax with ``inlet.bytewax.PartitionedSource``.
{%- elif cookiecutter.input_kind == "dynamic" %}
``{{ cookiecutter.connector_class }}`` is the connector as a dynamic input; run it on
Bytewax with ``inlet.bytewax.DynamicSource``.
{%- else %}
``{{ cookiecutter.connector_class }}`` is the connector as a partitioned input; run it on
Bytewax with ``inlet.bytewax.PartitionedSource``.
{%- endif %} See examples/bytewax_flow.py.
"""

from {{ cookiecutter.package_name }}._{{ cookiecutter.package_name }} import {{ cookiecutter.connector_class }}{% if cookiecutter.input_kind == "subject" %}Input{% endif %}

__all__ = ["{{ cookiecutter.connector_class }}{% if cookiecutter.input_kind == "subject" %}Input{% endif %}"]
