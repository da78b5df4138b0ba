{% include "kinds/" ~ cookiecutter.input_kind ~ "/connector.cc" -%}
