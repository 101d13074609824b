"""The langchain-core adapter: a ``BaseRetriever`` over a :class:`KnowledgeBase`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.knowledge import KnowledgeBase


def make_retriever(kb: KnowledgeBase, k: int = 4) -> Any:
    """A ``BaseRetriever`` whose documents are the best chunks of the top ``k`` articles."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    class KnowledgeRetriever(BaseRetriever):
        """Help-center search as a langchain retriever."""

        knowledge: Any
        k: int = 4

        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[Document]:
            hits = self.knowledge.search(query, k=self.k)
            return [
                Document(
                    page_content=hit.text,
                    metadata={
                        "doc_id": hit.doc_id,
                        "title": hit.title,
                        "url": hit.url,
                        "lang": hit.lang,
                        "score": hit.score,
                    },
                )
                for hit in hits
            ]

    return KnowledgeRetriever(knowledge=kb, k=k)
