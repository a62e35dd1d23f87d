from rest_framework import viewsets

from books.models import Book
from books.serializers import BookSerializer


class BookViewSet(viewsets.ModelViewSet):
    """List, create, read, update and delete books; ?author= filters."""

    queryset = Book.objects.all()
    serializer_class = BookSerializer

    def get_queryset(self):
        books = super().get_queryset()
        author = self.request.query_params.get("author")
        return books.filter(author__icontains=author) if author else books
