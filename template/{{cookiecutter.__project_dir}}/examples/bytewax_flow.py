"""Runs {{ cookiecutter.connector_class }} on Bytewax and prints every line it reads.

    python -m bytewax.run examples/bytewax_flow.py          # one worker
    python -m bytewax.run examples/bytewax_flow.py -w 2     # two workers

Reads data/*.txt, or the files named in the environment variable
{{ cookiecutter.package_name | upper }}_FILES (separated by os.pathsep).
"""

import glob
import os

import bytewax.operators as op
import inlet.bytewax
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow

{% if cookiecutter.input_kind == "subject" -%}
from {{ cookiecutter.package_name }} import {{ cookiecutter.connector_class }}Input
{%- else -%}
from {{ cookiecutter.package_name }} import {{ cookiecutter.connector_class }}
{%- endif %}

_files = os.environ.get("{{ cookiecutter.package_name | upper }}_FILES")
paths = (_files.split(os.pathsep) if _files else
         sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "data", "*.txt"))))

flow = Dataflow("{{ cookiecutter.package_name }}")
{%- if cookiecutter.input_kind == "subject" %}
lines = op.input("read", flow, inlet.bytewax.PartitionedSource({{ cookiecutter.connector_class }}Input(paths)))
{%- elif cookiecutter.input_kind == "dynamic" %}
lines = op.input("read", flow, inlet.bytewax.DynamicSource({{ cookiecutter.connector_class }}(paths)))
{%- else %}
lines = op.input("read", flow, inlet.bytewax.PartitionedSource({{ cookiecutter.connector_class }}(paths)))
{%- endif %}
op.output("print", lines, StdOutSink())
