"""Tests of the books API, run in the stack by `python manage.py test`."""

from rest_framework import status
from rest_framework.test import APITestCase

from books.models import Book


class BookApiTests(APITestCase):
    def test_create_then_read_back(self) -> None:
        """A book POSTed to /api/books/ is stored and read back by its id."""
        made = self.client.post(
            "/api/books/",
            {"title": "Dune", "author": "Frank Herbert", "year": 1965},
            format="json",
        )
        self.assertEqual(made.status_code, status.HTTP_201_CREATED)

        got = self.client.get(f"/api/books/{made.data['id']}/")
        self.assertEqual(got.status_code, status.HTTP_200_OK)
        self.assertEqual(got.data["title"], "Dune")
        self.assertEqual(Book.objects.count(), 1)

    def test_rejects_a_book_without_an_author(self) -> None:
        """A book with no author is refused with 400 and the field named."""
        made = self.client.post("/api/books/", {"title": "Anonymous"}, format="json")
        self.assertEqual(made.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn("author", made.data)

    def test_filters_by_author(self) -> None:
        """?author= keeps only the books whose author contains the text."""
        Book.objects.create(title="Emma", author="Jane Austen")
        Book.objects.create(title="Ubik", author="Philip K. Dick")
        got = self.client.get("/api/books/", {"author": "austen"})
        self.assertEqual([b["title"] for b in got.data["results"]], ["Emma"])
