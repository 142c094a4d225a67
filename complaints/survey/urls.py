"""``/survey/<token>/``, included from ``config/urls.py``."""

from django.urls import path

from . import views

urlpatterns = [path("<str:token>/", views.survey_page, name="survey")]
