"""The API's routes: the books under /api/books/, a health answer at /healthz,
and / sending a browser to the API's root."""

from books.views import BookViewSet
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.register("books", BookViewSet)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("api/", include(router.urls)),
    path("healthz", healthz),
]
